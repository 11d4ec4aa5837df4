#include "policy.h"
int main(void) { return 0; }
