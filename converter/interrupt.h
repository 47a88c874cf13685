/*
 * Clean interrupts of a run (SIGINT, SIGTERM, SIGHUP): the signals are
 * blocked in every thread of the run and taken by one thread of their own
 * (sigwait), which only records the first one; the run looks at it between
 * messages, stops there, rolls the mailbox in progress back and writes its
 * report.  A second signal stops the process at once (its default action),
 * which the output's commit protocol makes as safe as a kill.  No signal
 * handler and no global variable: the state lives in struct interrupt.
 */
#ifndef MDX_INTERRUPT_H
#define MDX_INTERRUPT_H

struct interrupt;

/*
 * interrupt_start: to be called before the run starts any thread (they
 * inherit the blocked signals); NULL when the watching thread cannot be
 * started (the signals then keep their default action)
 */
struct interrupt *interrupt_start(void);
/* interrupt_signal: 0 while the run goes on, else the signal that stops it */
int interrupt_signal(const struct interrupt *in);
/* interrupt_name: "SIGINT", "SIGTERM", "SIGHUP" */
const char *interrupt_name(int sig);
/* interrupt_stop: the thread stopped and joined, the signals unblocked; *in NULL */
void interrupt_stop(struct interrupt **in);

#endif
