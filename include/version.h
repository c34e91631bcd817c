/* version.h -- program version and the git commit it was built from. */
#ifndef SGD_VERSION_H
#define SGD_VERSION_H
extern const char sgd_version[]; /* e.g. "0.1.0" */
extern const char sgd_git[];     /* abbreviated commit, "-dirty" if the tree had changes */
#endif
