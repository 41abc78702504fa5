/* abba_fixed.c — abba_bug.c's fix: a transfer locks the account with the
 * lower number first, whichever way the money goes. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

#define TRANSFERS 20

struct account {
    int number;
    pthread_mutex_t lock;
    long balance;
};

static struct account accounts[2] = {
    {0, PTHREAD_MUTEX_INITIALIZER, 1000},
    {1, PTHREAD_MUTEX_INITIALIZER, 1000},
};

static void transfer(struct account *from, struct account *to, long amount)
{
    struct account *first = from->number < to->number ? from : to;
    struct account *second = first == from ? to : from;
    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
}

static void *a_to_b(void *arg)
{
    (void)arg;
    for (int i = 0; i < TRANSFERS; i++)
        transfer(&accounts[0], &accounts[1], 3);
    return NULL;
}

static void *b_to_a(void *arg)
{
    (void)arg;
    for (int i = 0; i < TRANSFERS; i++)
        transfer(&accounts[1], &accounts[0], 2);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, a_to_b, NULL);
    pthread_create(&t2, NULL, b_to_a, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("balances: %ld %ld\n", accounts[0].balance, accounts[1].balance);
    assert(accounts[0].balance + accounts[1].balance == 2000);
    return 0;
}
