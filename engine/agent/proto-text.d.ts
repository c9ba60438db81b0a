// The agent bundle inlines .proto files as text (esbuild's text loader).
declare module '*.proto' {
  const text: string;
  export default text;
}
