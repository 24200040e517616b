/* Shared between channel.c, channel-open.c and channel-request.c; not for the programs. */
#ifndef KAGI_CHANNEL_INT_H
#define KAGI_CHANNEL_INT_H

#include "core/channel.h"

/* KG_ERR_ARG unless ch is one of c's slots in use. */
int kg_conn_check_channel(const kg_conn *c, const kg_channel *ch) KG_WUR;
/* As above, and KG_ERR_CLOSED once we sent CLOSE, KG_ERR_ARG unless open. */
int kg_conn_check_sendable(const kg_conn *c, const kg_channel *ch) KG_WUR;
/* 1 if name is a valid SSH name (RFC 4251 6). */
int kg_conn_name_ok(const char *name);
/* Takes a free slot and starts its CHANNEL_OPEN; the caller appends the
 * type-specific data to *bp, then calls kg_conn_open_end. */
int kg_conn_open_begin(kg_conn *c, const char *type, kg_channel **chp, kg_buf **bp) KG_WUR;
int kg_conn_open_end(kg_conn *c, kg_channel *ch) KG_WUR;

/* The connection-wide window budget (channel.c): the window a new
 * channel starts with, and a slot taken or given back. */
uint32_t kg_conn_initial_window(const kg_conn *c);
void kg_conn_take_slot(kg_conn *c, kg_channel *ch);
void kg_conn_release_slot(kg_conn *c, kg_channel *ch);

#endif
