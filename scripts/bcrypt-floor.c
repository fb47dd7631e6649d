/* SPDX-License-Identifier: Apache-2.0 */
/* The floor of a bulk password change, for scripts/bench: N bcrypt hashes at
 * COST with libxcrypt (the library mxdba hashes with), spread over THREADS
 * threads, nothing else. Prints the wall time in seconds.
 *   bcrypt-floor N COST THREADS */
#include <crypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long n_total, next_i;
static int cost;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], pw[48];
	(void)arg;
	if (!cd)
		return (void *)1;
	for (;;) {
		long i;
		pthread_mutex_lock(&lock);
		i = next_i++;
		pthread_mutex_unlock(&lock);
		if (i >= n_total)
			break;
		snprintf(pw, sizeof(pw), "floor-password-%ld", i);
		if (!crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0, salt, sizeof(salt)) ||
		    !crypt_rn(pw, salt, cd, sizeof(*cd))) {
			free(cd);
			return (void *)1;
		}
	}
	free(cd);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[256];
	struct timespec a, b;
	int threads, bad = 0;
	if (argc != 4 || (n_total = atol(argv[1])) < 1 || (cost = atoi(argv[2])) < 4 || cost > 31 ||
	    (threads = atoi(argv[3])) < 1 || threads > 256) {
		fprintf(stderr, "usage: bcrypt-floor N COST THREADS\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0)
			return 1;
	for (int i = 0; i < threads; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad |= r != NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (bad) {
		fprintf(stderr, "bcrypt-floor: hashing failed\n");
		return 1;
	}
	printf("%.6f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
