/* wrong_lock_bug.c — a use of the wrong lock: deposits update the balance
 * under the account's lock, and record an audit entry (under the audit lock)
 * between reading the balance and writing it back. Refunds update the
 * balance under the audit lock — the wrong one:
 *
 *   deposit: lock(account); b = balance (100); audit(): lock(audit) -- waits
 *   refund:  lock(audit); balance += 5 (105); unlock(audit)
 *   deposit: ...; balance = b + 10 (110); unlock(account)  -- the refund is lost
 *
 * One thread deposits, another refunds, each a few times, and each is done
 * long before the other starts, so they rarely meet. The fix,
 * wrong_lock_fixed.c, takes the account's lock for refunds too. */
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
        pthread_mutex_lock(&audit_lock); /* BUG: the balance is the account lock's */
        balance += 5;
        audit_entries++;
        pthread_mutex_unlock(&audit_lock);
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
