// The XML-RPC API version Supervisor 3.x and 4.x report
// (supervisor.getAPIVersion), which supervisorctl requires of a daemon.
export const API_VERSION = '3.0';
