// The kernel's floor for WebSocket fan-out on this machine: N loopback TCP connections, one
// process writing the same ~420-byte WebSocket text frame to each server-side socket, another
// reading every client-side socket with epoll (as the load client's event loops do). What a
// broadcast costs with no server and no client code at all: the TCP sends, the loopback's
// receive path, the wake-ups and the reads. `bench/fanout.sh` reports Docket's figures to set
// beside these.
//
// Build and run: bench/fanout_floor.sh [subscribers...]; the writing threads are two, as NIO
// runs one event loop per core here (a third argument to the program changes it).
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int n;
static unsigned char frame[2 + 2 + 420];
static size_t frame_length;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_us(int who) {
    struct rusage u;
    getrusage(who, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

// The subscribers' process: N connections read with epoll; one byte on `done` each time every
// connection has its frame of the round, and at the end the CPU it spent reading.
static void subscribers(struct sockaddr_in address, int rounds, int ready, int done) {
    int *clients = calloc(n, sizeof(int));
    for (int i = 0; i < n; i++) {
        clients[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(clients[i], (struct sockaddr *)&address, sizeof address)) { perror("connect"); exit(1); }
    }
    int ep = epoll_create1(0);
    for (int i = 0; i < n; i++) {
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (unsigned)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, clients[i], &e);
    }
    char byte = 1;
    if (write(ready, &byte, 1) != 1) exit(1);
    struct epoll_event events[256];
    unsigned char buffer[65536];
    long received = 0, target = n;
    double start = cpu_us(RUSAGE_SELF);
    while (received < (long)n * rounds) {
        int count = epoll_wait(ep, events, 256, -1);
        for (int k = 0; k < count; k++) {
            ssize_t got = read(clients[events[k].data.u32], buffer, sizeof buffer);
            if (got > 0) received += got / (long)frame_length;
        }
        if (received >= target) {
            if (write(done, &byte, 1) != 1) exit(1);
            target += n;
        }
    }
    double spent = cpu_us(RUSAGE_SELF) - start;
    if (write(done, &spent, sizeof spent) != sizeof spent) exit(1);
    exit(0);
}

// One writer's share of the server-side sockets (as each of NIO's event loops has its own).
struct share {
    int *sockets;
    int count;
};

static void *write_share(void *arg) {
    struct share *share = arg;
    for (int i = 0; i < share->count; i++) {
        if (write(share->sockets[i], frame, frame_length) != (ssize_t)frame_length) { perror("write"); exit(1); }
    }
    return NULL;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    n = argc > 1 ? atoi(argv[1]) : 10000;
    int rounds = argc > 2 ? atoi(argv[2]) : 20;
    int writers = argc > 3 ? atoi(argv[3]) : 2;
    if (writers < 1 || writers > 64) writers = 2;
    // Each process holds one side of the connections.
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < (rlim_t)n + 16) { fprintf(stderr, "open files limit %lu too low\n", (unsigned long)limit.rlim_cur); return 1; }
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
    int ready[2], done[2];
    if (pipe(ready) || pipe(done)) { perror("pipe"); return 1; }
    pid_t child = fork();
    if (child == 0) {
        close(listener);
        subscribers(address, rounds, ready[1], done[1]);
    }
    int *servers = calloc(n, sizeof(int));
    for (int i = 0; i < n; i++) {
        servers[i] = accept(listener, NULL, NULL);
        if (servers[i] < 0) { perror("accept"); return 1; }
        setsockopt(servers[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    char byte;
    if (read(ready[0], &byte, 1) != 1) { fprintf(stderr, "the subscribers did not connect\n"); return 1; }
    double *last = calloc(rounds, sizeof(double));
    double writer_cpu = 0;
    for (int r = 0; r < rounds; r++) {
        double start = now_ms(), cpu = cpu_us(RUSAGE_SELF);
        pthread_t threads[64];
        struct share shares[64];
        for (int w = 0; w < writers; w++) {
            int from = (int)((long)n * w / writers), to = (int)((long)n * (w + 1) / writers);
            shares[w] = (struct share){servers + from, to - from};
            pthread_create(&threads[w], NULL, write_share, &shares[w]);
        }
        for (int w = 0; w < writers; w++) pthread_join(threads[w], NULL);
        writer_cpu += cpu_us(RUSAGE_SELF) - cpu;
        if (read(done[0], &byte, 1) != 1) { fprintf(stderr, "the subscribers stopped\n"); return 1; }
        last[r] = now_ms() - start;
        usleep(200000);
    }
    double reader_cpu = 0;
    if (read(done[0], &reader_cpu, sizeof reader_cpu) != sizeof reader_cpu) return 1;
    waitpid(child, NULL, 0);
    qsort(last, rounds, sizeof(double), compare);
    printf("%d connections, %d broadcasts of a %zu-byte frame, %d writing threads\n", n, rounds, frame_length, writers);
    printf("last receiver per broadcast: p50 %.1f ms  p99 %.1f ms\n", last[rounds / 2], last[rounds - 1 - rounds / 100]);
    printf("CPU per delivery: writing %.1f us, reading (with epoll) %.1f us\n",
           writer_cpu / ((double)n * rounds), reader_cpu / ((double)n * rounds));
    return 0;
}
