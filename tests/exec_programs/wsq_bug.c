/* wsq_bug.c — a work-stealing queue whose steal races a pop. The owner
 * pushes ITEMS tasks, then pops from the bottom; a thief steals from the
 * top. The owner's pop checks the size and takes the item in two critical
 * sections, so a steal of the last item can come between:
 *
 *   owner: lock; n = bottom - top (1); unlock
 *   thief: lock; takes items[top]; top++; unlock     (the queue is empty)
 *   owner: lock; takes items[--bottom]; unlock      -- the same task again
 *
 * Every task must run exactly once (asserted at the end). The fix,
 * wsq_fixed.c, checks and takes in one critical section. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

#define ITEMS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int items[ITEMS];
static int top, bottom;
static int runs[ITEMS];

static void run_task(int task)
{
    pthread_mutex_lock(&lock);
    runs[task]++;
    pthread_mutex_unlock(&lock);
}

static int pop(void)
{
    pthread_mutex_lock(&lock);
    int n = bottom - top;
    pthread_mutex_unlock(&lock);
    if (n <= 0)
        return -1;
    /* RACE: a steal here can take the item this pop counted on */
    pthread_mutex_lock(&lock);
    int task = items[--bottom];
    pthread_mutex_unlock(&lock);
    return task;
}

static int steal(void)
{
    pthread_mutex_lock(&lock);
    int task = top < bottom ? items[top++] : -1;
    pthread_mutex_unlock(&lock);
    return task;
}

static void *thief(void *arg)
{
    (void)arg;
    for (int tries = 0; tries < ITEMS; tries++) {
        int task = steal();
        if (task >= 0)
            run_task(task);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&lock);
        items[bottom++] = i;
        pthread_mutex_unlock(&lock);
    }
    pthread_create(&t, NULL, thief, NULL);
    for (int task; (task = pop()) >= 0;)
        run_task(task);
    pthread_join(t, NULL);
    for (int i = 0; i < ITEMS; i++) {
        if (runs[i] > 1)
            fprintf(stderr, "task %d ran %d times\n", i, runs[i]);
        assert(runs[i] <= 1);
    }
    return 0;
}
