// Waiting for SIGINT/SIGTERM in daemons: block them in every thread, then wait on one thread,
// so shutdown runs normal code (locks, joins) instead of inside a signal handler.
#pragma once

namespace brix {

// Call first thing in main(), before any thread starts.
void BlockTerminationSignals();
// Blocks until SIGINT or SIGTERM arrives; returns the signal number.
int WaitForTerminationSignal();

}  // namespace brix
