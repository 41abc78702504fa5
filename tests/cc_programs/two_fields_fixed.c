/* two_fields_fixed.c — two_fields_bug.c with the setter and the reader each
 * taking `lock` around both fields: the reader sees neither store or both. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int a, b;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *setter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    a = 1;
    b = 1;
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    int x = a;
    int y = b;
    pthread_mutex_unlock(&lock);
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
