/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: every JSON answer mxdba reads from a homeserver
 * (src/net/answers.c). The first byte picks the reader: an error body, a
 * successful client answer, a rate-limit answer, a job id, a job's status,
 * a media purge's count; the rest is the body as received. (/health is
 * read by its status alone, and mxdba never logs in: it mints its tokens.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/answers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body, errcode[128], error[512], *id;
	struct job_answer a;
	if (!size)
		return 0;
	body = malloc(size);
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0:
		answer_error(body, 400, errcode, sizeof(errcode), error, sizeof(error));
		break;
	case 1:
		answer_is_object(body);
		break;
	case 2:
		answer_retry_after_ms(body);
		break;
	case 3:
		free(answer_job_id(body, data[0] & 0x80 ? "purge_id" : "delete_id", 64));
		id = answer_job_id(body, "delete_id", 1);
		if (id)
			abort(); /* a one-byte buffer holds no id */
		break;
	case 4:
		answer_job(body, &a);
		if (a.done && !a.ended)
			abort();
		break;
	case 5:
		if (answer_deleted(body) < 0)
			abort();
		break;
	}
	free(body);
	return 0;
}
