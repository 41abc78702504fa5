/* pool_wait_bug.c — a condition wait that can never be satisfied: main
 * starts a worker, submits jobs to it, and waits until all of them are
 * done. The worker takes an empty queue for the end of the work and leaves:
 *
 *   main:   submit jobs 1-8; start the worker; submit job 9, 10
 *   worker: does 1-10; finds the queue empty; returns
 *   main:   submit job 11 .. 20; wait until done == 20   -- forever
 *
 * A job takes a few microseconds and the worker yields the processor after
 * each one; the eight jobs queued before it starts outlast pthread_create's
 * return, and main submits the rest (counting them for its progress report)
 * in a fraction of a job's time, so the queue nearly always holds the rest
 * of the work when the worker looks. The fix,
 * pool_wait_fixed.c, lets the worker leave only once main has closed the
 * queue, and makes it wait for work otherwise. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#define JOBS 20
#define BACKLOG 8 /* jobs queued before the worker starts */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static int queue[JOBS];
static int head, tail; /* queue[head..tail) is waiting */
static int done;
static unsigned long total;

/* A few microseconds of work, then the processor for whoever wants it. */
static unsigned long run_job(int job)
{
    unsigned long x = (unsigned long)job;
    for (int k = 0; k < 2000; k++)
        x = x * 6364136223846793005UL + 1442695040888963407UL;
    sched_yield();
    return x >> 33;
}

static void *worker(void *arg)
{
    (void)arg;
    unsigned long result = 0;
    int have_result = 0;
    pthread_mutex_lock(&lock);
    for (;;) {
        if (have_result) {
            total += result;
            if (++done == JOBS)
                pthread_cond_signal(&all_done);
        }
        if (head == tail) { /* BUG: an empty queue is not the end of the work */
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        int job = queue[head++];
        pthread_mutex_unlock(&lock);
        result = run_job(job);
        have_result = 1;
        pthread_mutex_lock(&lock);
    }
}

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int submitted; /* for a progress report */

static void submit(int job)
{
    pthread_mutex_lock(&lock);
    queue[tail++] = job;
    pthread_mutex_unlock(&lock);
    pthread_mutex_lock(&stats_lock);
    submitted++;
    pthread_mutex_unlock(&stats_lock);
}

int main(void)
{
    for (int j = 1; j <= BACKLOG; j++)
        submit(j);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    for (int j = BACKLOG + 1; j <= JOBS; j++)
        submit(j);
    pthread_mutex_lock(&lock);
    while (done < JOBS)
        pthread_cond_wait(&all_done, &lock); /* never true once the worker has left */
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    printf("jobs: %d, total %lu\n", done, total);
    return 0;
}
