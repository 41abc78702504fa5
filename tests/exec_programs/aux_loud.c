/* aux_loud.c — a helper of the runner tests: it prints 2 MB of progress,
 * then "FATAL ERROR" in two writes 100 ms apart (so that the words reach
 * the driver in two reads), and exits 0. `--fail-on 'FATAL ERROR'` must
 * find it although racelab keeps only the first 1 MB. With any argument it
 * is its own twin: "all fine" instead, and --fail-on finds nothing. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argv;
    char line[1024];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (int i = 0; i < 2048; i++) /* 2 MB */
        fwrite(line, 1, sizeof line, stdout);
    if (argc > 1) {
        puts("all fine");
        return 0;
    }
    fputs("FATAL", stdout);
    fflush(stdout);
    usleep(100 * 1000);
    puts(" ERROR");
    return 0;
}
