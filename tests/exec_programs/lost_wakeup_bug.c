/* lost_wakeup_bug.c — a lost wakeup: a worker serves jobs one at a time. It
 * looks for a pending job without the lock and, finding none, goes to wait
 * for the signal that a job was posted:
 *
 *   worker: if (pending == 0)                -- none yet
 *   main:   lock; pending = 7; signal; unlock  -- nobody waits yet: lost
 *   worker: lock; cond_wait(...)             -- waits for a signal already sent
 *
 * Main then waits for the job to be done, the worker for a job: a hang. The
 * window is the few instructions between the test and the wait, while main
 * needs microseconds to wake up and post the next job. The fix,
 * lost_wakeup_fixed.c, tests the predicate under the mutex, in a loop. */
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
        if (pending == 0) { /* BUG: tested outside the mutex */
            pthread_mutex_lock(&lock);
            pthread_cond_wait(&posted, &lock); /* the signal may have come and gone */
            pthread_mutex_unlock(&lock);
        }
        pthread_mutex_lock(&lock);
        int job = pending;
        pending = 0;
        pthread_mutex_unlock(&lock);
        if (job < 0)
            return NULL;
        if (job == 0)
            continue; /* a spurious wakeup */
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
