// Node resolve hook: TF.js ships its per-file ESM build (where the gradient
// definitions live) with extensionless relative imports, which bundlers accept and
// Node does not. For imports from inside @tensorflow packages only, retry with ".js".
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const fixable = ['ERR_MODULE_NOT_FOUND', 'ERR_UNSUPPORTED_DIR_IMPORT'].includes(error?.code);
    if (fixable && specifier.startsWith('.') && context.parentURL?.includes('/node_modules/@tensorflow/')) {
      return nextResolve(`${specifier}.js`, context);
    }
    throw error;
  }
}
