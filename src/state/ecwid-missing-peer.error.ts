/** The chosen state store needs an optional peer package that is not installed, or whose native part was never built. */
export class EcwidMissingPeerError extends Error {
  override readonly name = 'EcwidMissingPeerError';

  constructor(
    readonly packageName: string,
    readonly install: string,
    override readonly cause: unknown,
  ) {
    super(`This state store needs the optional package ${packageName}, which is not usable here. ${install}`);
  }
}

/** Native packages loaded through `bindings` say this when their install script never ran. */
const UNBUILT_NATIVE_PACKAGE = /Could not locate the bindings file/;

/**
 * Runs `load`, which requires `packageName` (written out there, so the manifest test sees it), and turns
 * "not installed" or "not built" into an error that says how to install it.
 */
export function loadEcwidPeer<T>(packageName: string, install: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    const missing =
      (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${packageName}'`);
    if (missing || UNBUILT_NATIVE_PACKAGE.test(String((error as Error)?.message))) {
      throw new EcwidMissingPeerError(packageName, install, error);
    }
    throw error;
  }
}
