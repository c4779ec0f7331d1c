// The kernel's floor for WebSocket fan-out on this machine: N loopback TCP connections, one
// thread writing the same ~420-byte WebSocket text frame to each server-side socket, one thread
// reading every client-side socket with epoll (as the load client's event loops do). What a
// broadcast costs with no server and no client code at all: the TCP sends, the loopback's
// receive path, the wake-ups and the reads. `bench/fanout.sh` reports Docket's figures to set
// beside these.
//
// Build and run: bench/fanout_floor.sh [subscribers...]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int n;
static int *servers, *clients;
static unsigned char frame[2 + 2 + 420];
static size_t frame_length;
static volatile long received;
static volatile int round_done;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double thread_cpu_us(void) {
    struct rusage u;
    getrusage(RUSAGE_THREAD, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

static double reader_cpu;

// Reads whole frames from every client socket until each has one; counts them.
static void *reader(void *arg) {
    (void)arg;
    int ep = epoll_create1(0);
    for (int i = 0; i < n; i++) {
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (unsigned)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, clients[i], &e);
    }
    struct epoll_event events[256];
    unsigned char buffer[65536];
    double start = thread_cpu_us();
    while (!round_done) {
        int ready = epoll_wait(ep, events, 256, 100);
        for (int k = 0; k < ready; k++) {
            ssize_t got = read(clients[events[k].data.u32], buffer, sizeof buffer);
            if (got > 0) __atomic_add_fetch(&received, got / (long)frame_length, __ATOMIC_RELAXED);
        }
    }
    reader_cpu = thread_cpu_us() - start;
    close(ep);
    return NULL;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    n = argc > 1 ? atoi(argv[1]) : 10000;
    int rounds = argc > 2 ? atoi(argv[2]) : 20;
    struct rlimit limit = {.rlim_cur = 4 * (rlim_t)n + 64, .rlim_max = 4 * (rlim_t)n + 64};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        getrlimit(RLIMIT_NOFILE, &limit);
        if (limit.rlim_cur < 2 * (rlim_t)n + 16) { fprintf(stderr, "open files limit %lu too low\n", (unsigned long)limit.rlim_cur); return 1; }
    }
    // A server text frame as Docket sends it: FIN + text, 16-bit length, the payload.
    size_t payload = 420;
    frame[0] = 0x81; frame[1] = 126; frame[2] = payload >> 8; frame[3] = payload & 0xff;
    memset(frame + 4, 'x', payload);
    frame_length = 4 + payload;

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 4096)) { perror("listen"); return 1; }
    getsockname(listener, (struct sockaddr *)&address, &length);
    servers = calloc(n, sizeof(int));
    clients = calloc(n, sizeof(int));
    for (int i = 0; i < n; i++) {
        clients[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(clients[i], (struct sockaddr *)&address, sizeof address)) { perror("connect"); return 1; }
        servers[i] = accept(listener, NULL, NULL);
        if (servers[i] < 0) { perror("accept"); return 1; }
        setsockopt(servers[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    pthread_t thread;
    pthread_create(&thread, NULL, reader, NULL);
    double *last = calloc(rounds, sizeof(double));
    double writer_cpu = 0;
    for (int r = 0; r < rounds; r++) {
        long target = (long)(r + 1) * n;
        double start = now_ms(), cpu = thread_cpu_us();
        for (int i = 0; i < n; i++) {
            if (write(servers[i], frame, frame_length) != (ssize_t)frame_length) { perror("write"); return 1; }
        }
        writer_cpu += thread_cpu_us() - cpu;
        while (__atomic_load_n(&received, __ATOMIC_RELAXED) < target) usleep(20);  // not a spin: the reader needs the core
        last[r] = now_ms() - start;
        usleep(200000);
    }
    round_done = 1;
    pthread_join(thread, NULL);
    qsort(last, rounds, sizeof(double), compare);
    printf("%d connections, %d broadcasts of a %zu-byte frame\n", n, rounds, frame_length);
    printf("last receiver per broadcast: p50 %.1f ms  p99 %.1f ms\n", last[rounds / 2], last[rounds - 1 - rounds / 100]);
    printf("CPU per delivery: writing %.1f us, reading (with epoll) %.1f us\n",
           writer_cpu / ((double)n * rounds), reader_cpu / ((double)n * rounds));
    return 0;
}
