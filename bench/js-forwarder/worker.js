// The baseline of `cargo xtask bench`: the least a Worker can do to put a posted form into CLOSEM.
// It forwards the visitor's fields as they came, plus the form's fixed fields (FIXED_FIELDS), with
// no validation, no mapping and no logging. The closem-forms edge is measured next to it.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") {
      return new Response("ok");
    }
    if (request.method !== "POST" || !url.pathname.startsWith("/f/")) {
      return new Response("not found", { status: 404 });
    }
    const fields = await request.formData();
    for (const [name, value] of Object.entries(env.FIXED_FIELDS)) {
      fields.append(name, value);
    }
    const api = `${env.CLOSEM_BASE_URL}?m=api&auth=${encodeURIComponent(env.CLOSEM_API_KEY)}`;
    const upstream = await fetch(api, { method: "POST", body: fields });
    await upstream.arrayBuffer();
    return Response.json({ ok: upstream.ok }, { status: upstream.ok ? 200 : 502 });
  },
};
