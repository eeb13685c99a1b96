// /core/uri-version: every path of the document begins with /v<major>, the major of info.version.
export default (document) => {
  const version = (document.info && document.info.version) || "";
  const major = version.split(".")[0];
  const results = [];
  if (!/^[0-9]+$/.test(major)) {
    return [{ message: `info.version ${JSON.stringify(version)} has no major version`, path: ["info", "version"] }];
  }
  for (const path of Object.keys(document.paths || {})) {
    if (path !== `/v${major}` && !path.startsWith(`/v${major}/`)) {
      results.push({ message: `${path} does not begin with /v${major} (info.version ${version})`, path: ["paths", path] });
    }
  }
  return results;
};
