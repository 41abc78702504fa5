/* pool_wait_fixed.c — pool_wait_bug.c's fix: the worker waits for work while
 * the queue is empty, and leaves only once main has closed it. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#define JOBS 20
#define BACKLOG 8 /* jobs queued before the worker starts */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static int queue[JOBS];
static int head, tail; /* queue[head..tail) is waiting */
static int closed;
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
        while (head == tail && !closed)
            pthread_cond_wait(&work, &lock);
        if (head == tail) {
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
    pthread_cond_signal(&work);
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
    closed = 1;
    pthread_cond_broadcast(&work);
    while (done < JOBS)
        pthread_cond_wait(&all_done, &lock);
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    printf("jobs: %d, total %lu\n", done, total);
    return 0;
}
