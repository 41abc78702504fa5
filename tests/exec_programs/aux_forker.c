/* aux_forker.c — a helper of the exec tests, not a bug: a threaded program
 * that forks a child, which takes a mutex, and then runs `true` (fork and
 * exec). The exec record says the program started other processes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long count;

static void *bump(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    count++;
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, bump, NULL);
    pthread_join(t, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        bump(NULL);
        execlp("true", "true", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return 1;
    printf("count %ld\n", count);
    return 0;
}
