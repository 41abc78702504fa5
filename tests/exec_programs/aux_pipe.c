/* aux_pipe.c — a helper of the exec tests, not a bug: main reads a line
 * from a pipe that another thread writes. read(2) is a call the exec
 * library does not model: under `racelab exec --mode sched` main may block
 * in it while it holds the scheduler's turn, and the writer must still get
 * to run (the run leaves control, and the record says so). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fds[2];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int written;

static void *writer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    written = 1;
    pthread_mutex_unlock(&lock);
    const char line[] = "hello\n";
    if (write(fds[1], line, sizeof line - 1) != (ssize_t)(sizeof line - 1))
        return (void *)1;
    return NULL;
}

int main(void)
{
    if (pipe(fds) != 0)
        return 2;
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    char buf[16] = {0};
    ssize_t n = read(fds[0], buf, sizeof buf - 1); /* blocks until the writer has run */
    void *ret = NULL;
    pthread_join(t, &ret);
    pthread_mutex_lock(&lock);
    int seen = written;
    pthread_mutex_unlock(&lock);
    printf("read %zd bytes: %s", n, buf);
    return n == 6 && strcmp(buf, "hello\n") == 0 && seen && ret == NULL ? 0 : 1;
}
