/* SPDX-License-Identifier: MIT */
/*
 * One-line error reasons into the caller's buffer: the loaders, the option
 * parser and the chipset report why they refused something this way, and
 * the caller prints "splitvm: <reason>".
 */
#ifndef SPLITVM_ERRMSG_H
#define SPLITVM_ERRMSG_H

#include <stddef.h>

/* Formats the reason into @err (when non-NULL, at most @errlen bytes) and
 * returns @rc, so a refusal is one statement: return vm_reason(...). */
int vm_reason(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
