package config

// deployOptions are the service managers' options: systemd, the uWSGI
// Emperor (as a vassal and as the Emperor itself).
var deployOptions = []Option{
	opt("heartbeat", Int, "0", "as a vassal, send the Emperor a heartbeat every N seconds (its --emperor-required-heartbeat watches them)").min(0),
	opt("privileged-binary-patch", String, "", "run this binary instead, with the same arguments (before privileges drop)").note("a value naming the running binary is done (how the Emperor starts a uwsgo app through /usr/bin/uwsgi), not a loop"),
	opt("unprivileged-binary-patch", String, "", "run this binary instead, with the same arguments, after dropping to --uid/--gid").note("a value naming the running binary is done; uwsgo runs it before binding, as the --uid/--gid user"),
}

// emperorOptions run uwsgo as the Emperor: it starts one vassal per config
// file and keeps it running (package uwsgi/emperor).
var emperorOptions = []Option{
	opt("emperor", List, "", "run the Emperor: one vassal per config file in this directory (or matching this glob)"),
	opt("emperor-freq", Int, "3", "seconds between two scans of the vassals directories").min(1),
	opt("emperor-throttle", Int, "1000", "milliseconds a vassal that died before it was loyal waits, more at every failure").min(0),
	opt("emperor-max-throttle", Int, "180000", "the longest wait of a failing vassal, in milliseconds").min(0),
	opt("emperor-stats", String, "", "serve the Emperor's stats JSON on this address").alias("emperor-stats-server"),
	opt("emperor-tyrant", Flag, "", "run every vassal as the owner (uid and gid) of its file; root-owned files are refused"),
	opt("emperor-graceful-shutdown", Flag, "", "stop removed vassals (and all at the Emperor's end) gracefully, not at once"),
	opt("emperor-required-heartbeat", Int, "0", "kill and restart a vassal silent for this many seconds after its first heartbeat").min(0),
	opt("vassals-include", List, "", "add --include FILE after the vassal's own config"),
	opt("vassals-include-before", List, "", "add --include FILE before the vassal's own config"),
	opt("vassal-set", List, "", "add --set KEY=VALUE to every vassal (before its own config)"),
	opt("binary-path", String, "", "the vassal binary: on the Emperor's command line for every vassal, in a vassal file for that one").note("without one (or a binary-patch option in the file) a vassal runs the Emperor's own binary; an app ignores it"),
}
