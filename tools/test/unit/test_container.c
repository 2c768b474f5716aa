// SPDX-License-Identifier: GPL-2.0
/*
 * Containers and pods from cgroup paths of real shape, one per runtime and
 * cgroup manager, v1 and v2; ids as runtimes print them (64 hex digits).
 */
#include <string.h>
#include "check.h"
#include "container.h"

#define DOCKER_V1 "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970"
#define DOCKER_SD "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"
#define K8S_CGFS "34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376"
#define CONTAINERD "c40dff48f1d53c3f07a50aa12bb9ae0e58c0927dc6b1d77e3f166784722642ad"
#define CONTAINERD2 "abb37780fc913b3720641a4039186adb06f5d1de0229de0e8707f12e2fde5a21"
#define CRIO "80d85a3a585f1575028ebe468d83093c301eda20d37d1671ff2a0be50fc0e460"
#define CRIO_V1 "d6d725b909f37c3e232aadfbafa950a58bfe7baa579ba8c47a12be88bb921607"
#define CRIO_STATIC "192f5a90b165665d969bb0137b8573f2214c8f75b728ecc58dbbc7fccd64af28"
#define PODMAN "6dd05e91f00f99281f70b1fd90a29e5cc30b0dab243cb7cfb6153d8017872394"

static void path_is(const char *path, const char *id, const char *pod)
{
	struct container_ref c;
	bool found = container_parse(path, &c);

	CHECK(found == (id[0] != '\0'), "%s: found %d", path, found);
	CHECK(!strcmp(c.id, id), "%s: id '%s', want '%s'", path, c.id, id);
	CHECK(!strcmp(c.pod_uid, pod), "%s: pod '%s', want '%s'", path,
	      c.pod_uid, pod);
}

static void test_runtimes(void)
{
	/* docker: systemd and cgroupfs managers */
	path_is("/system.slice/docker-" DOCKER_SD ".scope", DOCKER_SD, "");
	path_is("/docker/" DOCKER_V1, DOCKER_V1, "");
	/* podman: systemd, cgroupfs (this host's runc), nested init */
	path_is("/machine.slice/libpod-" PODMAN ".scope", PODMAN, "");
	path_is("/libpod_parent/libpod-" PODMAN, PODMAN, "");
	path_is("/machine.slice/libpod-" PODMAN ".scope/container", PODMAN, "");
	/* Kubernetes: containerd, CRI-O, systemd and cgroupfs */
	path_is("/kubepods.slice/kubepods-burstable.slice/"
		"kubepods-burstable-pod48d25824_cbe2_4fdc_9928_5bb49e05473d.slice/"
		"cri-containerd-" CONTAINERD ".scope",
		CONTAINERD, "48d25824-cbe2-4fdc-9928-5bb49e05473d");
	path_is("/kubelet.slice/kubelet-kubepods.slice/"
		"kubelet-kubepods-burstable.slice/"
		"kubelet-kubepods-burstable-poda45947e4_314c_4694_8f05_5e1425a02de4.slice/"
		"cri-containerd-" CONTAINERD2 ".scope",
		CONTAINERD2, "a45947e4-314c-4694-8f05-5e1425a02de4");
	path_is("/kubepods.slice/kubepods-burstable.slice/"
		"kubepods-burstable-pod69349abe_d645_11ea_9c4c_08002709c05c.slice/"
		"crio-" CRIO ".scope",
		CRIO, "69349abe-d645-11ea-9c4c-08002709c05c");
	/* A guaranteed pod has no QoS slice. */
	path_is("/kubepods.slice/"
		"kubepods-pod69349abe_d645_11ea_9c4c_08002709c05c.slice/"
		"crio-" CRIO ".scope",
		CRIO, "69349abe-d645-11ea-9c4c-08002709c05c");
	/* A static pod's uid is the kubelet's hash of its manifest. */
	path_is("/kubepods.slice/kubepods-burstable.slice/"
		"kubepods-burstable-pode4e6004e827fdf45941cf777618f60ce.slice/"
		"crio-" CRIO_STATIC ".scope",
		CRIO_STATIC, "e4e6004e827fdf45941cf777618f60ce");
	path_is("/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018d/"
		K8S_CGFS,
		K8S_CGFS, "74c13223-5a00-11e9-b385-42010a80018d");
	path_is("/kubepods/burstable/pod74c13223-5a00-11e9-b385-42010a80018d/crio-"
		CRIO,
		CRIO, "74c13223-5a00-11e9-b385-42010a80018d");
	/* Kubernetes in docker (kind): the innermost container. */
	path_is("/docker/" DOCKER_V1 "/kubepods/besteffort/"
		"pod74c13223-5a00-11e9-b385-42010a80018d/" K8S_CGFS,
		K8S_CGFS, "74c13223-5a00-11e9-b385-42010a80018d");
}

static void test_not_containers(void)
{
	/* The runtime's monitors carry the id but are outside. */
	path_is("/machine.slice/libpod-conmon-" PODMAN ".scope", "", "");
	path_is("/kubepods.slice/kubepods-burstable.slice/"
		"kubepods-burstable-pod69349abe_d645_11ea_9c4c_08002709c05c.slice/"
		"crio-conmon-" CRIO ".scope",
		"", "69349abe-d645-11ea-9c4c-08002709c05c");
	path_is("/", "", "");
	path_is("", "", "");
	path_is("/system.slice/docker.service", "", "");
	path_is("/user.slice/user-1000.slice/session-3.scope", "", "");
	path_is("/libpod_parent", "", "");
	/* 63 or 65 digits, upper case, other prefixes: not an id. */
	path_is("/system.slice/docker-" DOCKER_SD "0.scope", "", "");
	path_is("/system.slice/docker-" DOCKER_SD "x.scope", "", "");
	path_is("/docker/4F797C539E6C745DE61A93CA3FF892358ECBCACCD8414D5DB545C38428142970",
		"", "");
	path_is("/system.slice/sshd-" DOCKER_SD ".scope", "", "");
	/* A pod slice outside kubepods is no pod. */
	path_is("/pod74c13223-5a00-11e9-b385-42010a80018d/" K8S_CGFS, K8S_CGFS,
		"");
}

static void proc_is(const char *text, const char *id, const char *pod)
{
	struct container_ref c;
	bool found = container_parse_proc(text, strlen(text), &c);

	CHECK(found == (id[0] != '\0'), "found %d", found);
	CHECK(!strcmp(c.id, id), "id '%s', want '%s'", c.id, id);
	CHECK(!strcmp(c.pod_uid, pod), "pod '%s', want '%s'", c.pod_uid, pod);
}

/* /proc/PID/cgroup: v1 controller lines, hybrid, v2 only. */
static void test_proc(void)
{
	proc_is("10:net_prio:/" DOCKER_V1 "\n9:perf_event:/" DOCKER_V1 "\n"
		"4:memory:/" DOCKER_V1 "\n",
		DOCKER_V1, "");
	proc_is("12:devices:/kubepods.slice/kubepods-besteffort.slice/"
		"kubepods-besteffort-pod8ca306fa_3c03_47fa_97dd_19979c345572.slice/"
		"crio-" CRIO_V1 ".scope\n"
		"1:name=systemd:/kubepods.slice/kubepods-besteffort.slice/"
		"kubepods-besteffort-pod8ca306fa_3c03_47fa_97dd_19979c345572.slice/"
		"crio-" CRIO_V1 ".scope\n",
		CRIO_V1, "8ca306fa-3c03-47fa-97dd-19979c345572");
	/* Hybrid: v1 lines name the container, the v2 line does not. */
	proc_is("9:name=systemd:/\n4:memory:/docker/" DOCKER_V1 "\n0::/\n",
		DOCKER_V1, "");
	proc_is("0::/system.slice/docker-" DOCKER_SD ".scope\n", DOCKER_SD, "");
	/* No newline at the end; then lines of nothing. */
	proc_is("0::/libpod_parent/libpod-" PODMAN, PODMAN, "");
	proc_is("9:name=systemd:/\n8:pids:/\n0::/\n", "", "");
	proc_is("", "", "");
	proc_is("garbage\n::\n:\n", "", "");
}

int main(void)
{
	test_runtimes();
	test_not_containers();
	test_proc();
	CHECK_DONE();
}
