/* The agent's clients on the loop: accept, peer check, read, answer, write. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "agent/agent-listen.h"
#include "core/agent.h"
#include "sys/agent-sock.h"

int kg_agent_peer_allowed(uid_t peer_uid, uid_t self)
{
	return peer_uid == 0 || peer_uid == self;
}

static void client_close(kg_agent_listener *l, size_t i)
{
	kg_agent_client *c = l->clients[i];
	(void)!kg_loop_remove_fd(l->loop, c->fd);
	close(c->fd);
	kg_buf_free(&c->in);   /* wiped: requests carry keys and passphrases */
	kg_buf_free(&c->out);
	kg_agent_binds_free(&c->binds);
	free(c);
	l->clients[i] = l->clients[--l->nclients];
	l->clients[l->nclients] = NULL;
}

static size_t index_of(kg_agent_listener *l, int fd)
{
	for (size_t i = 0; i < l->nclients; i++)
		if (l->clients[i]->fd == fd)
			return i;
	return (size_t)-1;
}

/* Answers every whole request in c->in; KG_ERR_FORMAT for a bad frame. */
static int answer(kg_agent_listener *l, kg_agent_client *c)
{
	for (;;) {
		size_t n;
		if (kg_buf_len(&c->out) >= KG_AGENT_OUT_MAX)
			return KG_OK;
		int r = kg_agent_frame(kg_buf_ptr(&c->in), kg_buf_len(&c->in), &n);
		if (r == KG_ERR_AGAIN)
			return KG_OK;
		GUARD(r);
		uint8_t *msg = kg_buf_mutable_ptr(&c->in) + 4;
		r = kg_agent_server_handle(l->srv, &c->binds, msg, n, &c->out);
		memset(msg, 0, n);
		GUARD(r);
		GUARD(kg_buf_consume(&c->in, 4 + n));
		kg_buf_pack(&c->in);
	}
}

static int update_events(kg_agent_listener *l, kg_agent_client *c)
{
	int ev = kg_buf_len(&c->out) > 0 ? KG_LOOP_WRITE : 0;
	if (kg_buf_len(&c->out) < KG_AGENT_OUT_MAX)
		ev |= KG_LOOP_READ;
	return kg_loop_set_events(l->loop, c->fd, ev);
}

static int client_read(kg_agent_client *c)
{
	uint8_t *dst;
	size_t room = 4 + KG_AGENT_MAX_MSG - kg_buf_len(&c->in);
	if (room == 0)
		return KG_ERR_TOO_LARGE;  /* cannot happen: a whole frame is answered */
	size_t want = room < 65536 ? room : 65536;
	GUARD(kg_buf_reserve(&c->in, want, &dst));
	ssize_t got = read(c->fd, dst, want);
	if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
		GUARD(kg_buf_consume_end(&c->in, want));
		return KG_OK;
	}
	if (got <= 0) {
		(void)!kg_buf_consume_end(&c->in, want);
		return KG_ERR_CLOSED;
	}
	return kg_buf_consume_end(&c->in, want - (size_t)got);
}

static int client_write(kg_agent_client *c)
{
	ssize_t w = send(c->fd, kg_buf_ptr(&c->out), kg_buf_len(&c->out), MSG_NOSIGNAL);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return KG_OK;
	if (w <= 0)
		return KG_ERR_CLOSED;
	GUARD(kg_buf_consume(&c->out, (size_t)w));
	kg_buf_pack(&c->out);
	return KG_OK;
}

static void on_client(void *ctx, int fd, int revents)
{
	kg_agent_listener *l = ctx;
	size_t i = index_of(l, fd);
	if (i == (size_t)-1)
		return;
	kg_agent_client *c = l->clients[i];
	int r = KG_OK;
	if (revents & POLLOUT)
		r = client_write(c);
	if (r >= 0 && (revents & (POLLIN | POLLHUP | POLLERR)) && kg_buf_len(&c->out) < KG_AGENT_OUT_MAX)
		r = client_read(c);
	if (r >= 0)
		r = answer(l, c);
	if (r >= 0 && kg_buf_len(&c->out) > 0)
		r = client_write(c);
	if (r >= 0)
		r = update_events(l, c);
	if (r < 0) {
		if (r != KG_ERR_CLOSED)
			kg_debug(l->log, "agent client dropped: %s", kg_err_str(r));
		client_close(l, i);
	}
}

static void on_listen(void *ctx, int fd, int revents)
{
	kg_agent_listener *l = ctx;
	(void)revents;
	for (;;) {
		int cfd;
		uid_t peer;
		int r = kg_agent_sock_accept(fd, &cfd, &peer);
		if (r == KG_ERR_AGAIN)
			return;
		if (r < 0) {
			kg_error(l->log, "accept from agent socket: %s", strerror(errno));
			return;
		}
		if (!kg_agent_peer_allowed(peer, l->uid)) {
			kg_error(l->log, "uid mismatch: peer euid %u != uid %u", (unsigned)peer, (unsigned)l->uid);
			close(cfd);
			continue;
		}
		kg_agent_client *c = l->nclients < KG_AGENT_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			kg_error(l->log, "agent: too many clients");
			close(cfd);
			continue;
		}
		c->fd = cfd;
		kg_buf_init(&c->in, 4 + KG_AGENT_MAX_MSG);
		kg_buf_init(&c->out, KG_AGENT_OUT_MAX + 4 + KG_AGENT_MAX_MSG);
		if (kg_loop_add_fd(l->loop, cfd, KG_LOOP_READ, on_client, l) < 0) {
			close(cfd);
			free(c);
			continue;
		}
		l->clients[l->nclients++] = c;
		kg_debug(l->log, "agent client connected (fd %d)", cfd);
	}
}

int kg_agent_listen_start(kg_agent_listener *l, kg_loop *loop, kg_agent_server *srv, int lfd,
			  const kg_logger *log)
{
	memset(l, 0, sizeof(*l));
	l->loop = loop;
	l->srv = srv;
	l->log = log;
	l->lfd = lfd;
	l->uid = getuid();
	return kg_loop_add_fd(loop, lfd, KG_LOOP_READ, on_listen, l);
}

void kg_agent_listen_stop(kg_agent_listener *l)
{
	while (l->nclients > 0)
		client_close(l, l->nclients - 1);
	if (l->lfd >= 0) {
		(void)!kg_loop_remove_fd(l->loop, l->lfd);
		close(l->lfd);
	}
	l->lfd = -1;
}
