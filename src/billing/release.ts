/** Gives back what was held (credits, a slot); calling it again does nothing. */
export type Release = () => void;
