/** What seeds/prepare-map-boundaries.ts uses of mapshaper (the package ships no declarations). */
declare module 'mapshaper' {
  const mapshaper: {
    /** Runs a command line, as the `mapshaper` program would (https://github.com/mbloch/mapshaper/wiki/Command-Reference). */
    runCommands(commands: string): Promise<void>;
  };
  export default mapshaper;
}
