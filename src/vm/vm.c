/* placeholder until this module lands */
typedef int pol_placeholder_vm;
