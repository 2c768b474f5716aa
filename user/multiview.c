// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
#include "multiview.h"
#include "options.h"
#include "output.h"

bool multiview_wanted(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

int multiview_check(const struct view *const *all_views, size_t n,
		    const char *list, const char *who)
{
	const char *p = list, *end;
	size_t len, i;

	while (p && *p) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < n; i++)
			if (strlen(all_views[i]->name) == len &&
			    !strncmp(all_views[i]->name, p, len))
				break;
		if (i == n) {
			fprintf(stderr,
				"%s: unknown view '%.*s' in --views (views:",
				who, (int)len, p);
			for (i = 0; i < n; i++)
				fprintf(stderr, " %s", all_views[i]->name);
			fprintf(stderr, ")\n");
			return EXIT_USAGE;
		}
		p = end ? end + 1 : NULL;
	}
	if (list && (!*list || list[strlen(list) - 1] == ',')) {
		fprintf(stderr, "%s: invalid --views '%s'\n", who,
			text_arg(list));
		return EXIT_USAGE;
	}
	return 0;
}

static bool attached_any(const struct view *t, const struct obs_result *res)
{
	for (size_t o = 0; o < t->n_obs; o++)
		if (res[o].chosen >= 0 && !t->obs[o].support)
			return true;
	return false;
}

int multiview_open(struct session *s, const struct view *t,
		   const struct view_opts *o, bool asked, const char *who,
		   bool *loaded)
{
	int err = session_open(s, t, o);

	*loaded = false;
	if (!s->res)
		return -ENOMEM;
	if (err == -EINTR)
		return err;
	if (err) {
		/* Asked for by name: not having it is an error. */
		fprintf(stderr, "%s: %s view %s\n", who,
			asked ? "cannot load" : "skipping", t->name);
		return asked ? err : 0;
	}
	*loaded = attached_any(t, s->res);
	if (!*loaded) {
		fprintf(stderr, "%s: skipping view %s: none of its observations can attach ('mmtrace probes %s' says why)\n",
			who, t->name, t->name);
		session_unload(s);
	}
	return 0;
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

void multiview_detach(struct session *const *s, size_t n)
{
	size_t total = 0, k = 0;
	pthread_t *th;
	bool *started;

	for (size_t i = 0; i < n; i++)
		total += s[i]->n_links;
	th = calloc(total ? total : 1, sizeof(*th));
	started = calloc(total ? total : 1, sizeof(*started));
	for (size_t i = 0; i < n; i++) {
		for (size_t l = 0; l < s[i]->n_links; l++, k++) {
			/* Without a thread (or memory), one after the other. */
			if (th && started &&
			    !pthread_create(&th[k], NULL, destroy_link,
					    s[i]->links[l]))
				started[k] = true;
			else
				bpf_link__destroy(s[i]->links[l]);
		}
		free(s[i]->links);
		s[i]->links = NULL;
		s[i]->n_links = 0;
	}
	for (k = 0; th && started && k < total; k++)
		if (started[k])
			pthread_join(th[k], NULL);
	free(th);
	free(started);
}
