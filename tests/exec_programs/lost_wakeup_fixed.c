/* lost_wakeup_fixed.c — lost_wakeup_bug.c's fix: the worker tests for a
 * pending job under the mutex and waits in a loop, so a job posted before
 * it waits is seen. */
#include <pthread.h>
#include <stdio.h>

#define JOBS 50

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t posted = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;
static int pending; /* the job waiting for the worker, 0 none, -1 stop */
static int done;    /* jobs finished */
static long total;

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (pending == 0)
            pthread_cond_wait(&posted, &lock);
        int job = pending;
        pending = 0;
        pthread_mutex_unlock(&lock);
        if (job < 0)
            return NULL;
        pthread_mutex_lock(&lock);
        total += job;
        done++;
        pthread_cond_signal(&finished);
        pthread_mutex_unlock(&lock);
    }
}

static void post(int job)
{
    pthread_mutex_lock(&lock);
    pending = job;
    pthread_cond_signal(&posted);
    pthread_mutex_unlock(&lock);
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    for (int i = 1; i <= JOBS; i++) {
        post(i);
        pthread_mutex_lock(&lock);
        while (done < i)
            pthread_cond_wait(&finished, &lock);
        pthread_mutex_unlock(&lock);
    }
    post(-1);
    pthread_join(t, NULL);
    printf("jobs: %d, total %ld\n", done, total);
    return 0;
}
