// Preloaded (NODE_OPTIONS=--require) into a process under test: at exit it
// writes the built-in modules the process loaded to stderr, a line each.
process.on('exit', () => {
  const list = (process as NodeJS.Process & { moduleLoadList: string[] }).moduleLoadList.join('\n');
  process.stderr.write(list + '\n');
});
