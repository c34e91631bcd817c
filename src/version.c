/* version.c -- the only file that sees the generated gitversion.h, so only it
 * is rebuilt when the commit changes. */
#include "gitversion.h"
#include "version.h"

const char sgd_version[] = SGD_VERSION;
const char sgd_git[] = SGD_GIT;
