// Linux headers that Glibc's Swift module does not bring in: AF_PACKET addresses and
// Ethernet protocol numbers (gratuitous ARP), socket filters (the announcement watcher),
// signalfd (the daemon's signal handling),
// epoll (the TCP_CHECK prober's loop).
#ifndef VIGIL_CLINUX_SHIM_H
#define VIGIL_CLINUX_SHIM_H
#include <netpacket/packet.h>
#include <net/ethernet.h>
#include <linux/if_ether.h>
#include <linux/filter.h>
#include <sys/signalfd.h>
#include <signal.h>
#include <poll.h>
#include <time.h>

#include <sys/inotify.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <linux/netlink.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <grp.h>
#include <errno.h>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/memfd.h>
#include <elf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <malloc.h>

// Starts `path` with `argv` and `envp` in a process group of its own, as a fresh process:
// every signal back to its default disposition and unblocked (the daemon blocks some for
// its signalfd and the runtime ignores SIGPIPE; ignored dispositions survive exec),
// no descriptor above 2 (the daemon's sockets — metrics listener, checker connections,
// VRRP sockets — must not outlive it in a script's background job), stdin/stdout/stderr
// on `in_fd`/`out_fd`/`err_fd` (or /dev/null where -1), and — when `set_ids` — as
// `uid`/`gid` with `groups`. It gets SIGTERM if the daemon dies. Returns the child's PID,
// or -errno.
// In C because between fork and exec only async-signal-safe calls may run, and Swift
// code there cannot promise that; posix_spawn cannot change the user.
static inline pid_t vigil_spawn(const char *path, char *const argv[], char *const envp[], int set_ids,
                                uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
                                int in_fd, int out_fd, int err_fd) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid > 0) {
        // Also from the parent, so the group exists before anyone signals it (the usual
        // race between fork and the child's own setpgid).
        setpgid(pid, pid);
        return pid;
    }
    // The kernel's call, not glibc's sigaction: glibc refuses to touch the signals it
    // keeps for its threads (32, 33), and an ignored one of those is inherited too. All
    // zero is SIG_DFL with no flags and an empty mask, whatever the architecture's layout.
    unsigned long dfl[8] = {0};
    for (int s = 1; s <= 64; s++) {
        if (s != SIGKILL && s != SIGSTOP) syscall(SYS_rt_sigaction, s, dfl, NULL, 8);
    }
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    setpgid(0, 0);
    int null = open("/dev/null", O_RDWR);
    int std[3] = {in_fd, out_fd, err_fd};
    for (int n = 0; n < 3; n++) {
        int from = std[n] >= 0 ? std[n] : null;
        if (from >= 0 && from != n) dup2(from, n);
    }
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
        // Kernels before 5.9: every possible descriptor, up to the limit.
        struct rlimit limit;
        long top = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY ? (long)limit.rlim_cur : 65536;
        if (top > (1L << 20)) top = 1L << 20;
        for (long fd = 3; fd < top; fd++) close((int)fd);
    }
    if (set_ids) {
        if (setgroups((size_t)ngroups, groups) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
    }
    // After the identity change, which clears it.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(126);
    execve(path, argv, envp);
    _exit(127);
}

// The real-time signal range as glibc hands it to programs (SIGRTMIN and SIGRTMAX are
// function-like macros Swift cannot import; glibc keeps 32 and 33 for its threads).
static inline int vigil_sigrtmin(void) { return SIGRTMIN; }
static inline int vigil_sigrtmax(void) { return SIGRTMAX; }

// Whether child `pid` has ended, without reaping it: while it is a zombie its PID, and so
// its process group's ID, cannot be reused, so the group can still be signalled safely.
static inline int vigil_child_ended(pid_t pid) {
    siginfo_t info;
    info.si_pid = 0;
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD ? 1 : 0;
    return info.si_pid == pid;
}

// An anonymous file (close-on-exec) for a child's input or captured output.
static inline int vigil_memfd(const char *name) {
    return (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);
}

// The program's own read-only pages that start-up touched and the idle loop does not need
// (argument parsing, the configuration parser and planner, the Swift runtime's first
// lookups): unmapped from this process with MADV_DONTNEED. They stay in the page cache,
// where the kernel can reclaim them, and fault back in (a minor fault) if ever run again.
// Only PT_LOAD segments that are not writable and only in a program without text
// relocations: such pages never hold a private copy, so dropping them loses nothing (the
// relocated and written data — RELRO, .data, .bss, heap — lives in writable segments and
// is never touched here). Only the program itself: the shared libraries' pages are shared
// with other processes, so unmapping them here would free nothing. Returns the bytes
// advised (0 when nothing qualified), or -errno of the first madvise that failed.
static inline long vigil_release_program_pages(void) {
    // The program's own program headers, as the kernel loaded them (no libc lookup).
    const Elf64_Phdr *phdr = (const Elf64_Phdr *)getauxval(AT_PHDR);
    size_t count = (size_t)getauxval(AT_PHNUM);
    if (phdr == NULL || count == 0) return 0;
    uintptr_t base = 0;
    int found = 0;
    for (size_t i = 0; i < count; i++) {
        if (phdr[i].p_type == PT_PHDR) { base = (uintptr_t)phdr - phdr[i].p_vaddr; found = 1; }
    }
    if (!found) return 0;   // where the program was loaded is not known: nothing is touched
    for (size_t i = 0; i < count; i++) {
        if (phdr[i].p_type != PT_DYNAMIC) continue;
        for (const Elf64_Dyn *d = (const Elf64_Dyn *)(base + phdr[i].p_vaddr); d->d_tag != DT_NULL; d++) {
            if (d->d_tag == DT_TEXTREL || (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL))) return 0;
        }
    }
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    long released = 0;
    for (size_t i = 0; i < count; i++) {
        if (phdr[i].p_type != PT_LOAD || (phdr[i].p_flags & PF_W)) continue;
        // Whole pages inside the segment only.
        uintptr_t start = (base + phdr[i].p_vaddr + page - 1) & ~(page - 1);
        uintptr_t end = (base + phdr[i].p_vaddr + phdr[i].p_memsz) & ~(page - 1);
        if (end <= start) continue;
        if (madvise((void *)start, end - start, MADV_DONTNEED) != 0) return -errno;
        released += (long)(end - start);
    }
    return released;
}

// ppoll is a GNU extension the Glibc module does not declare.
int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *sigmask);
#endif
