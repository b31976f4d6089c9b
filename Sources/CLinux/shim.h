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

#include <sys/inotify.h>
#include <sys/eventfd.h>
#include <linux/netlink.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <grp.h>
#include <errno.h>

// Starts `path` with `argv` in a process group of its own, with every signal unblocked,
// stdin/stdout/stderr on /dev/null (keepalived discards script output too), and — when
// `set_ids` — as `uid`/`gid` with `groups`. Returns the child's PID, or -errno.
// In C because between fork and exec only async-signal-safe calls may run, and Swift
// code there cannot promise that; posix_spawn cannot change the user.
static inline pid_t vigil_spawn(const char *path, char *const argv[], char *const envp[], int set_ids,
                                uid_t uid, gid_t gid, const gid_t *groups, int ngroups) {
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid > 0) {
        // Also from the parent, so the group exists before anyone signals it (the usual
        // race between fork and the child's own setpgid).
        setpgid(pid, pid);
        return pid;
    }
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    setpgid(0, 0);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2) close(null);
    }
    if (set_ids) {
        if (setgroups((size_t)ngroups, groups) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
    }
    execve(path, argv, envp);
    _exit(127);
}

// ppoll is a GNU extension the Glibc module does not declare.
int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *sigmask);
#endif
