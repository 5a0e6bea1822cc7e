/* `pravah audit replay`: placeholder until it lands (issue 5). */
#include <stdio.h>

#include "audit.h"

int pv_audit_replay_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "pravah audit replay: not implemented yet\n");
    return 2;
}
