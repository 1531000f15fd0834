/**
 * Where the Admin API is, from what the GUI listener's `/kconfig.json` says (Kong Manager's
 * K_CONFIG): admin_gui_api_url when set (a scheme-less one takes the page's), else the host the
 * page was loaded from with the Admin API's port — the TLS one on an https page when there is one.
 */
export interface GuiSettings {
  readonly admin_api_url: string | null;
  readonly admin_api_port: number | null;
  readonly admin_api_ssl_port: number | null;
  readonly version: string;
}

export interface PageLocation {
  readonly protocol: string;
  readonly hostname: string;
}

export function adminApiBase(settings: GuiSettings, page: PageLocation): string {
  const url = settings.admin_api_url;
  if (url !== null && url !== '') {
    const full = /^https?:\/\//i.test(url) ? url : `${page.protocol}//${url}`;
    return full.replace(/\/+$/, '');
  }
  const host =
    page.hostname.includes(':') && !page.hostname.startsWith('[') ? `[${page.hostname}]` : page.hostname;
  const { admin_api_port: plain, admin_api_ssl_port: tls } = settings;
  if (page.protocol === 'https:' && tls !== null) return `https://${host}:${tls}`;
  if (plain !== null) return `http://${host}:${plain}`;
  if (tls !== null) return `https://${host}:${tls}`;
  throw new Error('the Admin API has no listener (admin_listen is off): the GUI has nothing to talk to');
}
