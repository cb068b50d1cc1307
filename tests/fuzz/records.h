// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The input of a fuzz target made of records: a kind byte, a 2-byte
 * length (network order) and that many bytes (fewer at the input's end).
 */
#ifndef FRRHA_FUZZ_RECORDS_H
#define FRRHA_FUZZ_RECORDS_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The next record: its kind, and its bytes as a malloc'ed copy of exactly
 * their length (the sanitizer sees any read beyond), *len of them; the
 * input advanced past it.  False at the end of the input. */
static inline bool fuzz_record_next(const uint8_t **data, size_t *size, uint8_t *kind,
				    uint8_t **copy, size_t *len)
{
	if (*size < 3)
		return false;
	*kind = (*data)[0];
	*len = (size_t)((*data)[1] << 8 | (*data)[2]);
	*data += 3;
	*size -= 3;
	if (*len > *size)
		*len = *size;
	*copy = malloc(*len ? *len : 1);
	assert(*copy);
	memcpy(*copy, *data, *len);
	*data += *len;
	*size -= *len;
	return true;
}

#endif /* FRRHA_FUZZ_RECORDS_H */
