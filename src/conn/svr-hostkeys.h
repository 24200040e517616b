/* The server's side of OpenSSH's host key rotation (PROTOCOL 2.5):
 * hostkeys-00@openssh.com tells the client every host key after user
 * authentication; hostkeys-prove-00@openssh.com answers the client's
 * request to prove possession of some of them with one signature each
 * over "hostkeys-prove-00@openssh.com", the session identifier and the
 * key's blob. */
#ifndef KAGI_SVR_HOSTKEYS_H
#define KAGI_SVR_HOSTKEYS_H

#include <stddef.h>
#include <stdint.h>
#include "core/key.h"
#include "core/transport.h"
#include "conn/conn.h"

#define KG_HOSTKEYS_REQ "hostkeys-00@openssh.com"
#define KG_HOSTKEYS_PROVE_REQ "hostkeys-prove-00@openssh.com"

/* The request's data: string blob for each key (at most 64 keys). */
int kg_svr_hostkeys_message(kg_key *const *keys, size_t n, kg_buf *out) KG_WUR;
/* Sends hostkeys-00@openssh.com (no reply wanted). */
int kg_svr_hostkeys_notify(kg_engine *e, kg_key *const *keys, size_t n) KG_WUR;

/* The data to sign for one key: string "hostkeys-prove-00@openssh.com",
 * string session_id, string blob (also what the client verifies). */
int kg_hostkeys_prove_data(const uint8_t *sid, size_t sid_len, const uint8_t *blob, size_t blob_len,
			   kg_buf *out) KG_WUR;

/* Builds the success reply to a hostkeys-prove request (data: its key
 * blobs) into out: for RSA keys the signature algorithm negotiated by the
 * key exchange when it is an RSA one, else rsa-sha2-512.  KG_ERR_NOT_FOUND
 * when a blob is not one of keys (the request is then refused, as sshd). */
int kg_svr_hostkeys_prove(kg_key *const *keys, size_t n, const uint8_t *sid, size_t sid_len, const char *kex_alg,
			  const uint8_t *data, size_t len, kg_buf *out) KG_WUR;
/* The same with the signatures made by sign (appending the signature
 * blob, as kg_key_sign does): with privilege separation, by the monitor,
 * since keys then hold only public halves.  sign NULL: kg_key_sign. */
typedef int (*kg_svr_sign_fn)(void *arg, const kg_key *key, const char *alg, const uint8_t *data, size_t len,
			      kg_buf *sig);
int kg_svr_hostkeys_prove_with(kg_key *const *keys, size_t n, const uint8_t *sid, size_t sid_len, const char *kex_alg,
			       const uint8_t *data, size_t len, kg_svr_sign_fn sign, void *sign_arg, kg_buf *out) KG_WUR;

#endif
