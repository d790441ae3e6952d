/** Program on PATH → the Debian package that brings it. */
export declare const TEST_PROGRAMS: readonly { readonly program: string; readonly pkg: string }[];
/** Whether `program` is an executable file in one of PATH's folders. */
export declare function onPath(program: string, path?: string): boolean;
/** The one line to print when programs are missing; undefined when all are there. */
/** `env.PASSGATE_CHROMIUM`, when it names an executable, stands in for chromium on PATH. */
export declare function missingProgramsLine(path?: string, env?: NodeJS.ProcessEnv): string | undefined;
