// Linux headers that Glibc's Swift module does not bring in: AF_PACKET addresses and
// Ethernet protocol numbers (gratuitous ARP), signalfd (the daemon's signal handling).
#ifndef VIGIL_CLINUX_SHIM_H
#define VIGIL_CLINUX_SHIM_H
#include <netpacket/packet.h>
#include <net/ethernet.h>
#include <linux/if_ether.h>
#include <sys/signalfd.h>
#include <signal.h>
#include <poll.h>
#include <time.h>

// ppoll is a GNU extension the Glibc module does not declare.
int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *sigmask);
#endif
