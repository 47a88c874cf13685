#include "interrupt.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/xalloc.h"

struct interrupt {
	pthread_t thread;
	sigset_t set;		/* the signals taken here */
	sigset_t before;	/* the calling thread's mask before */
	atomic_int sig;		/* the first signal; 0: none */
	atomic_bool stopping;
};

/*
 * watch: the first signal recorded and said; the second one is given its
 * default action (restored, unblocked, raised again): the user insisted
 */
static void *watch(void *arg)
{
	struct interrupt *in = arg;
	/* woken every 200 ms to see whether the run is over (no signal of our own to wake it) */
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = 200 * 1000 * 1000 };
	while (!atomic_load(&in->stopping)) {
		int sig = sigtimedwait(&in->set, NULL, &tick);
		if (sig < 0)
			continue;	/* EAGAIN: the tick; EINTR */
		int none = 0;
		if (atomic_compare_exchange_strong(&in->sig, &none, sig)) {
			fprintf(stderr, "mdexport: %s: stopping after the current message "
				"(again to stop at once)\n", interrupt_name(sig));
			continue;
		}
		signal(sig, SIG_DFL);
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, sig);
		pthread_sigmask(SIG_UNBLOCK, &one, NULL);
		raise(sig);
	}
	return NULL;
}

struct interrupt *interrupt_start(void)
{
	struct interrupt *in = xcalloc(1, sizeof(*in));
	sigemptyset(&in->set);
	sigaddset(&in->set, SIGINT);
	sigaddset(&in->set, SIGTERM);
	sigaddset(&in->set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &in->set, &in->before) != 0) {
		free(in);
		return NULL;
	}
	if (pthread_create(&in->thread, NULL, watch, in) != 0) {
		pthread_sigmask(SIG_SETMASK, &in->before, NULL);
		free(in);
		return NULL;
	}
	return in;
}

int interrupt_signal(const struct interrupt *in)
{
	return in ? atomic_load(&((struct interrupt *)in)->sig) : 0;
}

const char *interrupt_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" :
	       "a signal";
}

void interrupt_stop(struct interrupt **inp)
{
	struct interrupt *in = *inp;
	if (!in)
		return;
	atomic_store(&in->stopping, true);
	pthread_join(in->thread, NULL);
	pthread_sigmask(SIG_SETMASK, &in->before, NULL);
	free(in);
	*inp = NULL;
}
