/* wrong_lock_fixed.c — wrong_lock_bug.c's fix: refunds take the account's
 * lock for the balance (and the audit lock, inside it, for the audit entry,
 * the order deposits take them in). */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

#define TIMES 20

static pthread_mutex_t account_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static long balance = 100;
static long audit_entries;

static void audit(void)
{
    pthread_mutex_lock(&audit_lock);
    audit_entries++;
    pthread_mutex_unlock(&audit_lock);
}

static void *deposits(void *arg)
{
    (void)arg;
    for (int i = 0; i < TIMES; i++) {
        pthread_mutex_lock(&account_lock);
        long b = balance;
        audit();
        balance = b + 10;
        pthread_mutex_unlock(&account_lock);
    }
    return NULL;
}

static void *refunds(void *arg)
{
    (void)arg;
    for (int i = 0; i < TIMES; i++) {
        pthread_mutex_lock(&account_lock);
        balance += 5;
        audit();
        pthread_mutex_unlock(&account_lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, deposits, NULL);
    pthread_create(&t2, NULL, refunds, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("balance: %ld, audit entries %ld\n", balance, audit_entries);
    assert(balance == 100 + TIMES * 15);
    return 0;
}
