/* aux_writer.c — a helper of the exec tests, not a bug: two threads write
 * lines to stdout with write(2), taking turns under a mutex, and the program
 * exits 3 when a write fails. Under `racelab exec --posix-faults
 * 'posix/io/rw/write:p=0.2,errno=EIO'` libfiu's POSIX preload makes some of
 * those writes fail for real, while the exec library adds noise at the
 * mutex: both preloads at once. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LINES 20

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int failed_errno;

static void *writer(void *arg)
{
    const char *name = arg;
    char line[64];
    for (int i = 0; i < LINES; i++) {
        int n = snprintf(line, sizeof line, "%s %d\n", name, i);
        pthread_mutex_lock(&lock);
        if (write(1, line, (size_t)n) != n && failed_errno == 0)
            failed_errno = errno;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, writer, "a");
    pthread_create(&b, NULL, writer, "b");
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    if (failed_errno != 0) {
        fprintf(stderr, "aux_writer: write failed: %s\n", strerror(failed_errno));
        return 3;
    }
    return 0;
}
