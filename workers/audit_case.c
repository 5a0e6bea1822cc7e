/* `pravah audit case`: placeholder until it lands (issue 5). */
#include <stdio.h>

#include "audit.h"

int pv_audit_case_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "pravah audit case: not implemented yet\n");
    return 2;
}
