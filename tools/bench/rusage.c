/*
 * rusage.c - run a command and write what it cost: make bench's stopwatch.
 *
 *   rusage OUT CMD [ARG...]   runs CMD, then writes to the file OUT
 *                             "wall_s W cpu_s C maxrss_kib R status S"
 *                             and exits with CMD's status.
 *
 * Why not Python's os.wait4: a child forked from the Python driver starts
 * with the driver's resident pages, and Linux folds the pre-exec high-water
 * mark into ru_maxrss, so every program looked as big as the driver. This
 * launcher is a few hundred KiB, far below anything it measures.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: rusage OUT CMD [ARG...]\n");
        return 125;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("rusage: fork");
        return 125;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("rusage: wait4");
        return 125;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *out = fopen(argv[1], "w");
    if (out == NULL) {
        perror(argv[1]);
        return 125;
    }
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec / 1e6;
    fprintf(out, "wall_s %.6f cpu_s %.6f maxrss_kib %ld status %d\n", wall, cpu, ru.ru_maxrss, code);
    fclose(out);
    return code;
}
