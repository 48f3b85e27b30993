// Build step: compile a folder of Python sources to Pyodide's bytecode (cpython-314 .pyc in
// __pycache__, unchecked-hash: the browser uses them without comparing source stamps).
// Usage: node precompile.mjs <pyodide dir> <source dir>
const [pyodideDir, sourceDir] = process.argv.slice(2);
const { loadPyodide } = await import(new URL(`file://${pyodideDir}/pyodide.mjs`).href);
const py = await loadPyodide({ indexURL: `${pyodideDir}/` });
py.FS.mkdir("/src");
py.FS.mount(py.FS.filesystems.NODEFS, { root: sourceDir }, "/src");
const ok = py.runPython(`
import compileall, py_compile
compileall.compile_dir("/src", quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
`);
process.exit(ok ? 0 : 1);
