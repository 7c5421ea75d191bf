/*
 * idle-floor.c -- the memory floor for an idle bus: a process linked to the
 * same libc as the buses (dynamically, as they are) that says it is ready and
 * then waits, doing nothing at all. Its RSS, PSS and private dirty memory are
 * what the loader, libc's own data and a stack cost any process on this
 * machine; bench.py measures it right before the idle-memory rows, so that
 * what each bus adds on top of it can be read off the same run.
 *
 *   idle-floor        prints "ready", then sleeps until killed
 */
#include <unistd.h>

int main(void)
{
        static const char ready[] = "ready\n";

        if (write(STDOUT_FILENO, ready, sizeof(ready) - 1) != (ssize_t)(sizeof(ready) - 1))
                return 1;
        for (;;)
                pause();
}
