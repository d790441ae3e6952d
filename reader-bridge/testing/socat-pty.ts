// The pty pair is also the simulator's serial scanner (sim/scanners/): one implementation.
export { SocatPty } from "../../sim/scanners/socat-pty.js";
