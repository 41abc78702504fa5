/* two_fields_bug.c — a reader sees two fields from different writes. The
 * setter publishes a version in two plain stores; the reader takes two
 * plain loads and insists they agree:
 *
 *   setter: a = 1
 *   reader: x = a        -- 1
 *   reader: y = b        -- 0, the setter has not got there
 *   setter: b = 1
 *   reader: abort()
 *
 * No pthread call lies between the four accesses, so a scheduler that
 * switches only at pthread calls never gets between them; the window is a
 * few nanoseconds wide. The fix, two_fields_fixed.c, takes a mutex on both
 * sides. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int a, b;

static void *setter(void *arg)
{
    (void)arg;
    a = 1;
    /* racy: a reader between these two stores sees a == 1, b == 0 */
    b = 1;
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    int x = a;
    int y = b; /* racy: the setter's `b = 1` may come after `x = a` and before this */
    if (x == 1 && y == 0) {
        fprintf(stderr, "two_fields: a=1 with b=0, a half-made update\n");
        abort();
    }
    return NULL;
}

int main(void)
{
    pthread_t s, r;
    pthread_create(&r, NULL, reader, NULL);
    pthread_create(&s, NULL, setter, NULL);
    pthread_join(s, NULL);
    pthread_join(r, NULL);
    return 0;
}
