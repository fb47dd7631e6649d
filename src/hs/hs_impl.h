/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/hs: the struct behind the opaque struct hs, shared by the
 * generic layer (hs.c) and the profiles. Commands never include this. */
#ifndef MXDBA_HS_IMPL_H
#define MXDBA_HS_IMPL_H
#include "hs.h"

struct hs {
	const struct hs_profile *p;
	struct config *cfg;
	enum hs_mode mode;
	struct dbconf conf; /* the database mxdba writes */
	db *db;             /* open unless the profile opened none (memberships only) */
	void *priv;         /* the profile's own state */
};

/* The profiles (one line each in hs.c's table). */
extern const struct hs_profile hs_dendrite;
#endif
