package config

// deployOptions are the service managers' options: systemd, the uWSGI
// Emperor (as a vassal and as the Emperor itself).
var deployOptions = []Option{
	opt("heartbeat", Int, "0", "as a vassal, send the Emperor a heartbeat every N seconds (its --emperor-required-heartbeat watches them)").min(0),
	opt("privileged-binary-patch", String, "", "run this binary instead, with the same arguments (before privileges drop)").note("a value naming the running binary is done (how the Emperor starts a uwsgo app through /usr/bin/uwsgi), not a loop"),
	opt("unprivileged-binary-patch", String, "", "run this binary instead, with the same arguments, after dropping to --uid/--gid").note("a value naming the running binary is done; uwsgo runs it before binding, as the --uid/--gid user"),
}
